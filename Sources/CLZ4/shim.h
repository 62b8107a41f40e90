#ifndef FEDSWIFT_CLZ4_SHIM_H
#define FEDSWIFT_CLZ4_SHIM_H
#include <lz4.h>
#endif
