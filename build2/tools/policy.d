build2/tools/policy.o: tools/policy.c common/policy.h common/addr.h \
 common/err.h tools/trustctl.h common/proto.h \
 include/trustnode/control_proto.h
common/policy.h:
common/addr.h:
common/err.h:
tools/trustctl.h:
common/proto.h:
include/trustnode/control_proto.h:
