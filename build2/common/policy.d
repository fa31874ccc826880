build2/common/policy.o: common/policy.c common/policy.h common/addr.h \
 common/err.h common/policy_parse.h
common/policy.h:
common/addr.h:
common/err.h:
common/policy_parse.h:
