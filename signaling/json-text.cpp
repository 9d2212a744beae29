/* rtc::json: see json-text.h. */
#include "json-text.h"

namespace rtc::json
{

namespace
{

constexpr std::string_view kSpace = " \t\r\n";

/* A recursive-descent check of JSON's grammar; the depth is bounded by kMaxDepth. */
class Syntax
{
public:
  explicit Syntax (std::string_view text) : t_ (text) {}

  bool check (std::string &error)
  {
    skip_space ();
    bool ok = value (0);
    if (ok)
      {
        skip_space ();
        if (i_ < t_.size ())
          ok = fail ("unexpected data after the value");
      }
    if (!ok)
      error = why_ + " at byte " + std::to_string (i_);
    return ok;
  }

private:
  bool fail (const char *why)
  {
    why_ = why;
    return false;
  }
  char peek () const { return i_ < t_.size () ? t_[i_] : '\0'; }
  void skip_space ()
  {
    while (i_ < t_.size () && kSpace.find (t_[i_]) != std::string_view::npos)
      i_++;
  }

  bool value (int depth)
  {
    switch (peek ())
      {
      case '{':
        return object (depth + 1);
      case '[':
        return array (depth + 1);
      case '"':
        return string ();
      case 't':
        return literal ("true");
      case 'f':
        return literal ("false");
      case 'n':
        return literal ("null");
      default:
        return number ();
      }
  }

  bool object (int depth)
  {
    if (depth > kMaxDepth)
      return fail ("nested too deeply");
    i_++;
    skip_space ();
    if (peek () == '}')
      {
        i_++;
        return true;
      }
    for (;;)
      {
        if (peek () != '"')
          return fail ("expected a member name");
        if (!string ())
          return false;
        skip_space ();
        if (peek () != ':')
          return fail ("expected ':'");
        i_++;
        skip_space ();
        if (!value (depth))
          return false;
        skip_space ();
        if (peek () == '}')
          {
            i_++;
            return true;
          }
        if (peek () != ',')
          return fail ("expected ',' or '}'");
        i_++;
        skip_space ();
      }
  }

  bool array (int depth)
  {
    if (depth > kMaxDepth)
      return fail ("nested too deeply");
    i_++;
    skip_space ();
    if (peek () == ']')
      {
        i_++;
        return true;
      }
    for (;;)
      {
        if (!value (depth))
          return false;
        skip_space ();
        if (peek () == ']')
          {
            i_++;
            return true;
          }
        if (peek () != ',')
          return fail ("expected ',' or ']'");
        i_++;
        skip_space ();
      }
  }

  /* At the 'u' of a \u escape: reads it and its four hex digits. */
  bool hex4 (unsigned &code)
  {
    if (i_ + 4 >= t_.size ())
      return false;
    code = 0;
    for (size_t k = i_ + 1; k <= i_ + 4; k++)
      {
        const int digit = g_ascii_xdigit_value (t_[k]);
        if (digit < 0)
          return false;
        code = code * 16 + static_cast<unsigned> (digit);
      }
    i_ += 5;
    return true;
  }

  bool string ()
  {
    i_++;
    while (i_ < t_.size ())
      {
        const auto c = static_cast<unsigned char> (t_[i_]);
        if (c == '"')
          {
            i_++;
            return true;
          }
        if (c < 0x20)
          return fail ("a control character in a string");
        if (c != '\\')
          {
            i_++;
            continue;
          }
        if (++i_ >= t_.size ())
          break;
        if (std::string_view ("\"\\/bfnrt").find (t_[i_]) != std::string_view::npos)
          {
            i_++;
            continue;
          }
        unsigned code = 0;
        if (t_[i_] != 'u' || !hex4 (code))
          return fail ("a bad escape in a string");
        if (code >= 0xDC00 && code <= 0xDFFF)
          return fail ("a string escape is no Unicode text (a lone surrogate)");
        if (code >= 0xD800 && code <= 0xDBFF)
          {
            unsigned low = 0;
            if (peek () != '\\' || ++i_ >= t_.size () || t_[i_] != 'u' || !hex4 (low)
                || low < 0xDC00 || low > 0xDFFF)
              return fail ("a string escape is no Unicode text (a lone surrogate)");
          }
      }
    return fail ("an unterminated string");
  }

  bool literal (std::string_view word)
  {
    if (t_.substr (i_, word.size ()) != word)
      return fail ("unexpected character");
    i_ += word.size ();
    return true;
  }

  bool digits ()
  {
    const size_t from = i_;
    while (g_ascii_isdigit (peek ()))
      i_++;
    return i_ > from;
  }

  /* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
  bool number ()
  {
    if (peek () == '-')
      i_++;
    if (peek () == '0')
      i_++;
    else if (!g_ascii_isdigit (peek ()) || !digits ())
      return fail (i_ < t_.size () ? "unexpected character" : "unexpected end");
    if (peek () == '.')
      {
        i_++;
        if (!digits ())
          return fail ("expected a digit");
      }
    if (peek () == 'e' || peek () == 'E')
      {
        i_++;
        if (peek () == '+' || peek () == '-')
          i_++;
        if (!digits ())
          return fail ("expected a digit");
      }
    return true;
  }

  std::string_view t_;
  size_t i_ = 0;
  std::string why_;
};

} // namespace

bool
check_syntax (std::string_view text, std::string &error)
{
  return Syntax (text).check (error);
}

JsonNode *
parse_container (std::string_view text, std::string &error)
{
  /* g_utf8_validate() with a length also fails on NUL bytes, where json-glib would stop. */
  if (!g_utf8_validate (text.data (), static_cast<gssize> (text.size ()), nullptr))
    {
      error = "not UTF-8 text";
      return nullptr;
    }
  const size_t first = text.find_first_not_of (kSpace);
  if (first == std::string_view::npos || (text[first] != '{' && text[first] != '['))
    {
      error = "not a JSON object or array";
      return nullptr;
    }
  std::string why;
  if (!check_syntax (text, why))
    {
      error = "not valid JSON: " + why;
      return nullptr;
    }
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) err = nullptr;
  if (!json_parser_load_from_data (parser, text.data (), static_cast<gssize> (text.size ()), &err))
    {
      error = std::string ("not valid JSON: ") + err->message;
      return nullptr;
    }
  return json_parser_steal_root (parser);
}

} // namespace rtc::json
