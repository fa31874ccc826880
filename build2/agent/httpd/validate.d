build2/agent/httpd/validate.o: agent/httpd/validate.c common/hex.h \
 common/err.h common/log_auth.h common/attest_wire.h \
 include/trustnode/audit_api.h common/proto.h \
 include/trustnode/attest_api.h agent/httpd/validate.h common/err.h
common/hex.h:
common/err.h:
common/log_auth.h:
common/attest_wire.h:
include/trustnode/audit_api.h:
common/proto.h:
include/trustnode/attest_api.h:
agent/httpd/validate.h:
common/err.h:
