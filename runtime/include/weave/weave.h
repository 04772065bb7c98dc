// The umbrella header: everything weave offers to programs, one include.
#pragma once

#include "weave/base.h"
#include "weave/chan.h"
#include "weave/cond.h"
#include "weave/context.h"
#include "weave/errgroup.h"
#include "weave/fiber.h"
#include "weave/mutex.h"
#include "weave/once.h"
#include "weave/rate.h"
#include "weave/select.h"
#include "weave/semaphore.h"
#include "weave/thread_annotations.h"
#include "weave/time.h"
#include "weave/waitgroup.h"
