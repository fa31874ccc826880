build2/common/audit_verify.o: common/audit_verify.c \
 common/audit_segments.h common/err.h common/audit_verify.h \
 common/audit_record.h include/trustnode/audit_api.h common/hex.h
common/audit_segments.h:
common/err.h:
common/audit_verify.h:
common/audit_record.h:
include/trustnode/audit_api.h:
common/hex.h:
