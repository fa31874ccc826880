build2/tools/log_tail.o: tools/log_tail.c common/audit_record.h \
 common/err.h include/trustnode/audit_api.h common/audit_segments.h \
 tools/trustctl.h common/proto.h include/trustnode/control_proto.h
common/audit_record.h:
common/err.h:
include/trustnode/audit_api.h:
common/audit_segments.h:
tools/trustctl.h:
common/proto.h:
include/trustnode/control_proto.h:
