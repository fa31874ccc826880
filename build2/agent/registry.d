build2/agent/registry.o: agent/registry.c common/proto.h common/err.h \
 agent/registry.h common/addr.h common/err.h common/policy.h \
 common/addr.h
common/proto.h:
common/err.h:
agent/registry.h:
common/addr.h:
common/err.h:
common/policy.h:
common/addr.h:
