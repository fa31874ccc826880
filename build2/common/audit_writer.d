build2/common/audit_writer.o: common/audit_writer.c common/audit_record.h \
 common/err.h include/trustnode/audit_api.h common/audit_segments.h \
 common/audit_writer.h common/hex.h common/proto.h
common/audit_record.h:
common/err.h:
include/trustnode/audit_api.h:
common/audit_segments.h:
common/audit_writer.h:
common/hex.h:
common/proto.h:
