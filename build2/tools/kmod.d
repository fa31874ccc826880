build2/tools/kmod.o: tools/kmod.c common/kmod_nl.h common/addr.h \
 common/err.h tools/trustctl.h common/proto.h \
 include/trustnode/control_proto.h
common/kmod_nl.h:
common/addr.h:
common/err.h:
tools/trustctl.h:
common/proto.h:
include/trustnode/control_proto.h:
