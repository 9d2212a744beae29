// Owning smart pointers for GLib / GStreamer references.
//
// Adopt a reference the caller owns (transfer full) with Ptr<T>::adopt(p) or the
// constructor; take a new reference on a borrowed pointer (transfer none) with Ptr<T>::ref(p).
#pragma once

#include <gst/gst.h>
#include <utility>

namespace rtc {

template <typename T> struct RefTraits;


// GObject-derived types (everything that has GObject as first member).
template <typename T> struct RefTraits
{
  static T *ref (T *p) { return static_cast<T *> (g_object_ref (p)); }
  static void unref (T *p) { g_object_unref (p); }
};

#define RTC_MINIOBJECT_TRAITS(Type)                                                                \
  template <> struct RefTraits<Type>                                                               \
  {                                                                                                \
    static Type *ref (Type *p) { return reinterpret_cast<Type *> (gst_mini_object_ref (GST_MINI_OBJECT_CAST (p))); } \
    static void unref (Type *p) { gst_mini_object_unref (GST_MINI_OBJECT_CAST (p)); }             \
  };
RTC_MINIOBJECT_TRAITS (GstBuffer)
RTC_MINIOBJECT_TRAITS (GstCaps)
RTC_MINIOBJECT_TRAITS (GstEvent)
RTC_MINIOBJECT_TRAITS (GstMessage)
RTC_MINIOBJECT_TRAITS (GstQuery)
RTC_MINIOBJECT_TRAITS (GstSample)
RTC_MINIOBJECT_TRAITS (GstPromise)
RTC_MINIOBJECT_TRAITS (GstBufferList)
#undef RTC_MINIOBJECT_TRAITS

template <> struct RefTraits<GMainContext>
{
  static GMainContext *ref (GMainContext *p) { return g_main_context_ref (p); }
  static void unref (GMainContext *p) { g_main_context_unref (p); }
};
template <> struct RefTraits<GMainLoop>
{
  static GMainLoop *ref (GMainLoop *p) { return g_main_loop_ref (p); }
  static void unref (GMainLoop *p) { g_main_loop_unref (p); }
};
template <> struct RefTraits<GSource>
{
  static GSource *ref (GSource *p) { return g_source_ref (p); }
  static void unref (GSource *p) { g_source_unref (p); }
};
template <> struct RefTraits<GBytes>
{
  static GBytes *ref (GBytes *p) { return g_bytes_ref (p); }
  static void unref (GBytes *p) { g_bytes_unref (p); }
};

template <typename T> class Ptr
{
public:
  Ptr () = default;
  explicit Ptr (T *owned) : p_ (owned) {}
  Ptr (const Ptr &o) : p_ (o.p_ ? RefTraits<T>::ref (o.p_) : nullptr) {}
  Ptr (Ptr &&o) noexcept : p_ (std::exchange (o.p_, nullptr)) {}
  ~Ptr () { reset (); }
  Ptr &operator= (Ptr o) noexcept
  {
    std::swap (p_, o.p_);
    return *this;
  }
  static Ptr adopt (T *owned) { return Ptr (owned); }
  static Ptr ref (T *borrowed) { return Ptr (borrowed ? RefTraits<T>::ref (borrowed) : nullptr); }
  void reset (T *owned = nullptr)
  {
    if (p_)
      RefTraits<T>::unref (p_);
    p_ = owned;
  }
  T *get () const { return p_; }
  T *release () { return std::exchange (p_, nullptr); }
  T *operator->() const { return p_; }
  explicit operator bool () const { return p_ != nullptr; }

private:
  T *p_ = nullptr;
};

// g_free()-owned string.
class GStr
{
public:
  GStr () = default;
  explicit GStr (gchar *owned) : s_ (owned) {}
  GStr (const GStr &) = delete;
  GStr &operator= (const GStr &) = delete;
  GStr (GStr &&o) noexcept : s_ (std::exchange (o.s_, nullptr)) {}
  GStr &operator= (GStr &&o) noexcept
  {
    std::swap (s_, o.s_);
    return *this;
  }
  ~GStr () { g_free (s_); }
  const gchar *get () const { return s_; }
  const gchar *c_str () const { return s_ ? s_ : ""; }
  gchar **out ()
  {
    g_clear_pointer (&s_, g_free);
    return &s_;
  }
  gchar *release () { return std::exchange (s_, nullptr); }
  explicit operator bool () const { return s_ != nullptr; }

private:
  gchar *s_ = nullptr;
};

// Owned GError, usable as an out parameter: call(&err.out()).
class Error
{
public:
  Error () = default;
  Error (const Error &) = delete;
  Error &operator= (const Error &) = delete;
  ~Error () { g_clear_error (&e_); }
  GError **out ()
  {
    g_clear_error (&e_);
    return &e_;
  }
  GError *get () const { return e_; }
  const gchar *message () const { return e_ ? e_->message : "(no error)"; }
  explicit operator bool () const { return e_ != nullptr; }

private:
  GError *e_ = nullptr;
};

} // namespace rtc
