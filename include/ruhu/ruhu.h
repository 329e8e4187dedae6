/*
 * ruhu/ruhu.h — the whole public API of libruhu: include this one header.
 */
#ifndef RUHU_RUHU_H
#define RUHU_RUHU_H

#include "ruhu/common.h"
#include "ruhu/schema.h"
#include "ruhu/core.h"
#include "ruhu/sync.h"
#include "ruhu/audit.h"
#include "ruhu/report.h"

#endif
