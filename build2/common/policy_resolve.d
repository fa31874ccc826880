build2/common/policy_resolve.o: common/policy_resolve.c common/policy.h \
 common/addr.h common/err.h
common/policy.h:
common/addr.h:
common/err.h:
