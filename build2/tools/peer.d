build2/tools/peer.o: tools/peer.c common/attest_verify.h \
 common/attest_wire.h common/err.h common/measure_log.h \
 common/peer_store.h common/hex.h common/http.h common/policy.h \
 common/addr.h common/tpm_verify.h tools/trustctl.h common/proto.h \
 include/trustnode/control_proto.h include/trustnode/attest_api.h
common/attest_verify.h:
common/attest_wire.h:
common/err.h:
common/measure_log.h:
common/peer_store.h:
common/hex.h:
common/http.h:
common/policy.h:
common/addr.h:
common/tpm_verify.h:
tools/trustctl.h:
common/proto.h:
include/trustnode/control_proto.h:
include/trustnode/attest_api.h:
