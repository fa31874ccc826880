build2/tools/tag.o: tools/tag.c tools/trustctl.h common/proto.h \
 common/err.h include/trustnode/control_proto.h
tools/trustctl.h:
common/proto.h:
common/err.h:
include/trustnode/control_proto.h:
