build2/common/opts.o: common/opts.c common/opts.h
common/opts.h:
