build2/tools/attest.o: tools/attest.c common/attest_verify.h \
 common/attest_wire.h common/err.h common/measure_log.h \
 common/peer_store.h common/hex.h common/http.h tools/trustctl.h \
 common/proto.h include/trustnode/control_proto.h \
 include/trustnode/attest_api.h
common/attest_verify.h:
common/attest_wire.h:
common/err.h:
common/measure_log.h:
common/peer_store.h:
common/hex.h:
common/http.h:
tools/trustctl.h:
common/proto.h:
include/trustnode/control_proto.h:
include/trustnode/attest_api.h:
