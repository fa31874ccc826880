build2/tools/status.o: tools/status.c tools/confine.h tools/trustctl.h \
 common/proto.h common/err.h include/trustnode/control_proto.h
tools/confine.h:
tools/trustctl.h:
common/proto.h:
common/err.h:
include/trustnode/control_proto.h:
