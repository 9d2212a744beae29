#include "call-later.h"

namespace rtc
{

void
call_later (GMainContext *ctx, std::function<void ()> fn, gint priority)
{
  using Fn = std::function<void ()>;
  GSource *source = g_idle_source_new ();
  g_source_set_priority (source, priority);
  g_source_set_callback (
      source,
      [] (gpointer data) -> gboolean {
        (*static_cast<Fn *> (data)) ();
        return G_SOURCE_REMOVE;
      },
      new Fn (std::move (fn)), [] (gpointer data) { delete static_cast<Fn *> (data); });
  g_source_attach (source, ctx);
  g_source_unref (source);
}

} // namespace rtc
