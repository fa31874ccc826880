build2/common/log_auth.o: common/log_auth.c common/log_auth.h \
 common/attest_wire.h common/err.h include/trustnode/audit_api.h \
 common/signed_msg.h
common/log_auth.h:
common/attest_wire.h:
common/err.h:
include/trustnode/audit_api.h:
common/signed_msg.h:
