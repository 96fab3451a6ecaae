using System.Globalization;

namespace Storebridge.Sidecar.Resilience;

/// <summary>A named circuit breaker policy of a <c>Resiliency</c> resource.</summary>
internal sealed record CircuitBreakerSpec(string Name, int MaxRequests, TimeSpan Interval, TimeSpan Timeout, TripCondition Trip);

/// <summary>The counts a trip condition is evaluated against, as daprd exposes them to the <c>trip</c> expression.</summary>
internal readonly record struct BreakerCounts(long Requests, long TotalSuccesses, long TotalFailures, long ConsecutiveSuccesses, long ConsecutiveFailures);

/// <summary>
/// The subset of CEL that <c>trip</c> expressions use: comparisons of a count with an integer
/// (<c>consecutiveFailures &gt; 5</c>), joined by <c>&amp;&amp;</c> (binds tighter) or <c>||</c>, no parentheses.
/// </summary>
internal sealed class TripCondition
{
    private readonly List<List<(string Count, string Op, long Value)>> _anyOf;

    private TripCondition(List<List<(string, string, long)>> anyOf) => _anyOf = anyOf;

    public static bool TryParse(string text, out TripCondition condition)
    {
        condition = null!;
        var anyOf = new List<List<(string, string, long)>>();
        foreach (var alternative in text.Split("||"))
        {
            var allOf = new List<(string, string, long)>();
            foreach (var term in alternative.Split("&&"))
            {
                if (!TryParseTerm(term.Trim(), out var parsed))
                {
                    return false;
                }

                allOf.Add(parsed);
            }

            anyOf.Add(allOf);
        }

        condition = new TripCondition(anyOf);
        return true;
    }

    private static bool TryParseTerm(string term, out (string, string, long) parsed)
    {
        parsed = default;
        foreach (var op in (string[])[">=", "<=", "==", "!=", ">", "<"])
        {
            var at = term.IndexOf(op, StringComparison.Ordinal);
            if (at <= 0)
            {
                continue;
            }

            var count = term[..at].Trim();
            if (count is not ("requests" or "totalSuccesses" or "totalFailures" or "consecutiveSuccesses" or "consecutiveFailures")
                || !long.TryParse(term[(at + op.Length)..].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            parsed = (count, op, value);
            return true;
        }

        return false;
    }

    public bool Holds(BreakerCounts counts) => _anyOf.Any(allOf => allOf.All(term =>
    {
        var actual = term.Count switch
        {
            "requests" => counts.Requests,
            "totalSuccesses" => counts.TotalSuccesses,
            "totalFailures" => counts.TotalFailures,
            "consecutiveSuccesses" => counts.ConsecutiveSuccesses,
            _ => counts.ConsecutiveFailures,
        };
        return term.Op switch
        {
            ">=" => actual >= term.Value,
            "<=" => actual <= term.Value,
            "==" => actual == term.Value,
            "!=" => actual != term.Value,
            ">" => actual > term.Value,
            _ => actual < term.Value,
        };
    }));
}

/// <summary>
/// A circuit breaker with daprd's semantics (it uses sony/gobreaker): closed, it counts results and opens when the trip
/// condition holds after a failure (counts are cleared every <c>interval</c> unless 0); open, it rejects every call
/// for <c>timeout</c>; then half-open, it lets <c>maxRequests</c> calls through: a failure opens it again,
/// <c>maxRequests</c> consecutive successes close it. Results of calls admitted before a state change are ignored.
/// </summary>
internal sealed class CircuitBreaker(CircuitBreakerSpec spec, TimeProvider time)
{
    private enum State { Closed, Open, HalfOpen }

    private readonly Lock _lock = new();
    private State _state = State.Closed;
    private long _generation;
    private BreakerCounts _counts;
    private DateTimeOffset _expiry = spec.Interval > TimeSpan.Zero ? time.GetUtcNow() + spec.Interval : DateTimeOffset.MaxValue;

    public string Name => spec.Name;

    /// <summary>Admits a call (returns its generation for <see cref="Complete"/>) or rejects it with the time the breaker half-opens.</summary>
    public bool TryEnter(out long generation, out DateTimeOffset retryAt)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            Advance(now);
            generation = _generation;
            retryAt = _state == State.Open ? _expiry : now;
            if (_state == State.Open || (_state == State.HalfOpen && _counts.Requests >= spec.MaxRequests))
            {
                return false;
            }

            _counts = _counts with { Requests = _counts.Requests + 1 };
            return true;
        }
    }

    /// <summary>Records the result of a call admitted by <see cref="TryEnter"/>.</summary>
    public void Complete(long generation, bool success)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            Advance(now);
            if (generation != _generation)
            {
                return;
            }

            if (success)
            {
                _counts = _counts with { TotalSuccesses = _counts.TotalSuccesses + 1, ConsecutiveSuccesses = _counts.ConsecutiveSuccesses + 1, ConsecutiveFailures = 0 };
                if (_state == State.HalfOpen && _counts.ConsecutiveSuccesses >= spec.MaxRequests)
                {
                    Enter(State.Closed, now);
                }

                return;
            }

            _counts = _counts with { TotalFailures = _counts.TotalFailures + 1, ConsecutiveFailures = _counts.ConsecutiveFailures + 1, ConsecutiveSuccesses = 0 };
            if (_state == State.HalfOpen || spec.Trip.Holds(_counts))
            {
                Enter(State.Open, now);
            }
        }
    }

    private void Advance(DateTimeOffset now)
    {
        if (_expiry > now)
        {
            return;
        }

        if (_state == State.Closed)
        {
            Enter(State.Closed, now);
        }
        else if (_state == State.Open)
        {
            Enter(State.HalfOpen, now);
        }
    }

    private void Enter(State state, DateTimeOffset now)
    {
        _state = state;
        _generation++;
        _counts = default;
        _expiry = state switch
        {
            State.Open => now + spec.Timeout,
            State.Closed when spec.Interval > TimeSpan.Zero => now + spec.Interval,
            _ => DateTimeOffset.MaxValue,
        };
    }
}
