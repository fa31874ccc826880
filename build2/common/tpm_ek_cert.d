build2/common/tpm_ek_cert.o: common/tpm_ek_cert.c common/tpm_verify.h \
 common/err.h
common/tpm_verify.h:
common/err.h:
