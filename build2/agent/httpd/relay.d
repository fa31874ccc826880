build2/agent/httpd/relay.o: agent/httpd/relay.c agent/httpd/httpd.h \
 common/err.h common/proto.h common/err.h agent/httpd/validate.h
agent/httpd/httpd.h:
common/err.h:
common/proto.h:
common/err.h:
agent/httpd/validate.h:
