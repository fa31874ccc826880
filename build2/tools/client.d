build2/tools/client.o: tools/client.c common/proto.h common/err.h \
 tools/trustctl.h include/trustnode/control_proto.h
common/proto.h:
common/err.h:
tools/trustctl.h:
include/trustnode/control_proto.h:
