build2/common/tpm_verify.o: common/tpm_verify.c common/hex.h common/err.h \
 common/tpm_verify.h
common/hex.h:
common/err.h:
common/tpm_verify.h:
