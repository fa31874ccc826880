build2/common/proto.o: common/proto.c common/proto.h common/err.h
common/proto.h:
common/err.h:
