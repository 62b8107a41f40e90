#ifndef FEDSWIFT_CZLIB_SHIM_H
#define FEDSWIFT_CZLIB_SHIM_H
#include <zlib.h>
#endif
