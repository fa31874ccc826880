build2/agent/allowed.o: agent/allowed.c agent/allowed.h common/addr.h \
 common/err.h agent/registry.h common/err.h common/policy.h common/addr.h
agent/allowed.h:
common/addr.h:
common/err.h:
agent/registry.h:
common/err.h:
common/policy.h:
common/addr.h:
