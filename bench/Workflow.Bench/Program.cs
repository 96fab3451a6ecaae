// Workflow backend benchmark: an in-process runtime (Kestrel, HTTP/2 on 127.0.0.1) and an app running the unchanged
// Dapr.Workflow SDK worker, on a fresh SQLite file. Each scenario keeps a fixed number of workflows in flight
// (closed loop) for a fixed count and reports throughput and per-workflow completion latency.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Dapr.Workflow;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Storebridge.Sidecar.Workflows;
using Workflow.Bench;

var count = ArgInt("--count", 1500);
var concurrency = ArgInt("--concurrency", 100);
var directory = Path.Combine(Path.GetTempPath(), "sb-wf-bench", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(directory);
var databasePath = Path.Combine(directory, "workflows.db");

var runtimeBuilder = WebApplication.CreateSlimBuilder();
runtimeBuilder.Logging.ClearProviders();
runtimeBuilder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
runtimeBuilder.Services.AddWorkflowBackend(o =>
{
    o.DatabasePath = databasePath;
    o.AppId = "bench";
});
await using var runtime = runtimeBuilder.Build();
runtime.MapWorkflowBackend();
await runtime.StartAsync();
var port = new Uri(runtime.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;

var appBuilder = Host.CreateApplicationBuilder();
appBuilder.Logging.ClearProviders();
appBuilder.Configuration["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{port}";
appBuilder.Services.AddDaprWorkflow(o =>
{
    o.RegisterWorkflow<Chain5Workflow>();
    o.RegisterWorkflow<FanOut5Workflow>();
    o.RegisterActivity<IncrementActivity>();
});
using var app = appBuilder.Build();
await app.StartAsync();
var client = app.Services.GetRequiredService<DaprWorkflowClient>();

// Other work on the machine skews throughput; the load average and CPU time per workflow make runs comparable.
var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
Console.WriteLine($"Workflow backend benchmark: {Environment.ProcessorCount} cores (load average {load} at start), {count} workflows per scenario, {concurrency} in flight, SQLite WAL at {databasePath}");
await RunAsync("warm-up", nameof(Chain5Workflow), 100, print: false);
await RunAsync("chain of 5 activities", nameof(Chain5Workflow), count, print: true);
await RunAsync("fan-out of 5 activities", nameof(FanOut5Workflow), count, print: true);

using var self = Process.GetCurrentProcess();
self.Refresh();
Console.WriteLine($"peak working set (runtime + app in one process): {self.PeakWorkingSet64 / (1024.0 * 1024.0):F0} MiB");

await app.StopAsync();
await runtime.StopAsync();
try
{
    Directory.Delete(directory, recursive: true);
}
catch (IOException)
{
}

async Task RunAsync(string label, string workflow, int total, bool print)
{
    var latencies = new double[total];
    var next = -1;
    using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(50));
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var stopwatch = Stopwatch.StartNew();
    var runners = Enumerable.Range(0, concurrency).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < total)
        {
            var started = Stopwatch.GetTimestamp();
            var id = await client.ScheduleNewWorkflowAsync(workflow, $"{label}-{i}", i, null, deadline.Token);
            var state = await client.WaitForWorkflowCompletionAsync(id, getInputsAndOutputs: false, deadline.Token);
            if (state.RuntimeStatus != WorkflowRuntimeStatus.Completed)
            {
                throw new InvalidOperationException($"{id} ended {state.RuntimeStatus}");
            }

            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
    }).ToList();
    await Task.WhenAll(runners);
    stopwatch.Stop();
    if (!print)
    {
        return;
    }

    Array.Sort(latencies);
    var seconds = stopwatch.Elapsed.TotalSeconds;
    var cpuPerWorkflow = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / total;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{label,-26} {total / seconds,8:F1} workflows/s {total * 5 / seconds,9:F1} activities/s   p50 {Percentile(latencies, 0.50),7:F1} ms   p99 {Percentile(latencies, 0.99),7:F1} ms   cpu {cpuPerWorkflow,5:F2} ms/workflow   ({seconds:F1} s)"));
}

static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

int ArgInt(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}
