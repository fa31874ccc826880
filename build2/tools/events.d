build2/tools/events.o: tools/events.c tools/trustctl.h common/proto.h \
 common/err.h include/trustnode/control_proto.h
tools/trustctl.h:
common/proto.h:
common/err.h:
include/trustnode/control_proto.h:
