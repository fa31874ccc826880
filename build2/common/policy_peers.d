build2/common/policy_peers.o: common/policy_peers.c common/hex.h \
 common/err.h common/policy.h common/addr.h common/policy_parse.h
common/hex.h:
common/err.h:
common/policy.h:
common/addr.h:
common/policy_parse.h:
