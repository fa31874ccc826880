build2/tools/workload.o: tools/workload.c tools/trustctl.h common/proto.h \
 common/err.h include/trustnode/control_proto.h
tools/trustctl.h:
common/proto.h:
common/err.h:
include/trustnode/control_proto.h:
