build2/tools/confine.o: tools/confine.c tools/confine.h common/err.h
tools/confine.h:
common/err.h:
