build2/agent/httpd/serve.o: agent/httpd/serve.c agent/httpd/httpd.h \
 common/err.h include/trustnode/attest_api.h agent/httpd/validate.h
agent/httpd/httpd.h:
common/err.h:
include/trustnode/attest_api.h:
agent/httpd/validate.h:
