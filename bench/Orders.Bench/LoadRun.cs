using System.Diagnostics;

namespace Storebridge.Orders.Bench;

/// <summary>Outcome of one load run: acknowledged requests, failures and each acknowledgement's latency.</summary>
internal sealed record LoadResult(string Name, long Ok, long Failed, TimeSpan Measured, double[] LatenciesMs)
{
    public double PerSecond => Ok / Measured.TotalSeconds;

    public double Percentile(double p) => Stats.Percentile(LatenciesMs, p);
}

internal static class Stats
{
    /// <summary>Nearest-rank percentile of an unsorted sample (sorted in place).</summary>
    public static double Percentile(double[] sample, double p)
    {
        if (sample.Length == 0)
        {
            return double.NaN;
        }

        Array.Sort(sample);
        var rank = (int)Math.Ceiling(p / 100 * sample.Length) - 1;
        return sample[Math.Clamp(rank, 0, sample.Length - 1)];
    }
}

/// <summary>
/// Closed-loop load: a fixed number of clients each send a request, wait for the answer and send the next. Requests
/// answered during the warm-up are not counted, so connection set-up and JIT stay out of the figures.
/// </summary>
internal static class LoadRun
{
    public static async Task<LoadResult> RunAsync(
        string name, HttpClient client, int clients, TimeSpan warmup, TimeSpan duration, Func<long, HttpRequestMessage> request)
    {
        long sequence = 0;
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var stopAt = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>(4096);
            long ok = 0, failed = 0;
            while (true)
            {
                var sent = Stopwatch.GetTimestamp();
                if (sent >= stopAt)
                {
                    break;
                }

                using var message = request(Interlocked.Increment(ref sequence));
                bool success;
                try
                {
                    using var response = await client.SendAsync(message);
                    success = response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    success = false;
                }

                var answered = Stopwatch.GetTimestamp();
                if (sent < measureFrom || answered > stopAt)
                {
                    continue;
                }

                if (success)
                {
                    ok++;
                    latencies.Add(Stopwatch.GetElapsedTime(sent, answered).TotalMilliseconds);
                }
                else
                {
                    failed++;
                }
            }

            return (ok, failed, latencies);
        })).ToArray();

        var results = await Task.WhenAll(workers);
        return new LoadResult(name, results.Sum(r => r.ok), results.Sum(r => r.failed), duration,
            results.SelectMany(r => r.latencies).ToArray());
    }
}
