//===- Status.h - Error values for the Photon runtime ----------*- C++ -*-===//
//
// The runtime reports every failure as a value: a `Status` (ok, or an error
// message meant for the user) or an `Expected<T>` (a T, or an error Status).
// Both are [[nodiscard]], so an ignored error is a compiler warning. Nothing in
// the runtime throws for control flow.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_STATUS_H
#define PHOTON_RUNTIME_STATUS_H

#include <optional>
#include <string>
#include <utility>

namespace photon::rt {

class [[nodiscard]] Status {
public:
  /// The default Status is success.
  Status() = default;
  static Status success() { return Status(); }
  /// An error; an empty message becomes "unknown error" so that an error is
  /// never mistaken for success.
  static Status error(std::string message) {
    Status s;
    s.failed_ = true;
    s.message_ = message.empty() ? "unknown error" : std::move(message);
    return s;
  }

  bool ok() const { return !failed_; }
  /// The error message ("" when ok).
  const std::string &message() const { return message_; }

  /// The same error with "context: " in front; success stays success.
  Status withContext(const std::string &context) const {
    return ok() ? Status() : error(context + ": " + message_);
  }

private:
  bool failed_ = false;
  std::string message_;
};

/// A T or an error Status.
template <class T> class [[nodiscard]] Expected {
public:
  Expected(T value) : value_(std::move(value)) {}
  /// Must be an error; an ok Status here is a programming error, which is
  /// turned into an error rather than an Expected holding nothing.
  Expected(Status status) : status_(std::move(status)) {
    if (status_.ok())
      status_ = Status::error("internal error: Expected<T> built from an ok Status");
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }

  /// The error (success when a value is held).
  const Status &status() const { return status_; }
  /// Converts to a bare Status, dropping the value.
  Status takeStatus() const { return status_; }

  // Accessors; calling them on an error is a programming error.
  T &value() & { return *value_; }
  const T &value() const & { return *value_; }
  T &&value() && { return std::move(*value_); }
  T &operator*() & { return *value_; }
  const T &operator*() const & { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }

private:
  std::optional<T> value_;
  Status status_;
};

} // namespace photon::rt

/// Returns the Status of `expr` from the enclosing function when it failed.
#define PHOTON_RETURN_IF_ERROR(expr)                                           \
  do {                                                                         \
    ::photon::rt::Status photonStatus_ = (expr);                               \
    if (!photonStatus_.ok())                                                   \
      return photonStatus_;                                                    \
  } while (false)

#endif // PHOTON_RUNTIME_STATUS_H
