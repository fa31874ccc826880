build2/tools/log_export.o: tools/log_export.c common/audit_segments.h \
 common/err.h tools/trustctl.h common/proto.h \
 include/trustnode/control_proto.h
common/audit_segments.h:
common/err.h:
tools/trustctl.h:
common/proto.h:
include/trustnode/control_proto.h:
