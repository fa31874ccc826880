build2/common/addr.o: common/addr.c common/addr.h common/err.h
common/addr.h:
common/err.h:
