#ifndef FEDSWIFT_CZEROMQ_SHIM_H
#define FEDSWIFT_CZEROMQ_SHIM_H
#include <zmq.h>
#include <sys/eventfd.h>
#endif
