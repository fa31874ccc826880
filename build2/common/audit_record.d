build2/common/audit_record.o: common/audit_record.c common/audit_record.h \
 common/err.h include/trustnode/audit_api.h common/signed_msg.h \
 common/hex.h common/proto.h
common/audit_record.h:
common/err.h:
include/trustnode/audit_api.h:
common/signed_msg.h:
common/hex.h:
common/proto.h:
