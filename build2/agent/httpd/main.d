build2/agent/httpd/main.o: agent/httpd/main.c agent/httpd/httpd.h \
 common/err.h common/opts.h include/trustnode/attest_api.h
agent/httpd/httpd.h:
common/err.h:
common/opts.h:
include/trustnode/attest_api.h:
