build2/tools/trustctl.o: tools/trustctl.c tools/trustctl.h common/proto.h \
 common/err.h include/trustnode/control_proto.h
tools/trustctl.h:
common/proto.h:
common/err.h:
include/trustnode/control_proto.h:
