/* Hands a function to the thread that runs a GMainContext. */
#pragma once

#include <glib.h>

#include <functional>

namespace rtc
{

/* Runs @fn on @ctx's thread, later, in the order of the calls (of one @priority). If the
 * context is destroyed first, @fn is freed without running. */
void call_later (GMainContext *ctx, std::function<void ()> fn, gint priority = G_PRIORITY_DEFAULT);

} // namespace rtc
