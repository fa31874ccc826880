build2/agent/registry_json.o: agent/registry_json.c common/proto.h \
 common/err.h agent/registry.h common/addr.h common/err.h common/policy.h \
 common/addr.h
common/proto.h:
common/err.h:
agent/registry.h:
common/addr.h:
common/err.h:
common/policy.h:
common/addr.h:
