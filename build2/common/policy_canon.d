build2/common/policy_canon.o: common/policy_canon.c common/policy_canon.h \
 common/err.h common/policy.h common/addr.h
common/policy_canon.h:
common/err.h:
common/policy.h:
common/addr.h:
