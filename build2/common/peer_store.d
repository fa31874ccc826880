build2/common/peer_store.o: common/peer_store.c common/hex.h common/err.h \
 common/peer_store.h common/attest_wire.h common/measure_log.h \
 common/policy.h common/addr.h common/proto.h \
 include/trustnode/attest_api.h
common/hex.h:
common/err.h:
common/peer_store.h:
common/attest_wire.h:
common/measure_log.h:
common/policy.h:
common/addr.h:
common/proto.h:
include/trustnode/attest_api.h:
