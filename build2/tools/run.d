build2/tools/run.o: tools/run.c tools/confine.h common/err.h \
 tools/trustctl.h common/proto.h common/err.h \
 include/trustnode/control_proto.h
tools/confine.h:
common/err.h:
tools/trustctl.h:
common/proto.h:
common/err.h:
include/trustnode/control_proto.h:
