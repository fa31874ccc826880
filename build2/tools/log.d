build2/tools/log.o: tools/log.c tools/trustctl.h common/proto.h \
 common/err.h include/trustnode/control_proto.h \
 include/trustnode/audit_api.h
tools/trustctl.h:
common/proto.h:
common/err.h:
include/trustnode/control_proto.h:
include/trustnode/audit_api.h:
