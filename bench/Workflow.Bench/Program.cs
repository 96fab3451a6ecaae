// Workflow backend benchmark. Like Dapr's own figures (one app + its sidecar), the runtime runs as its own process
// (this executable with --serve-runtime) and the app — the unchanged Dapr.Workflow SDK worker and client — in this
// one, talking HTTP/2 over 127.0.0.1, on a fresh SQLite file. Each scenario keeps a fixed number of workflows in
// flight (closed loop) for a fixed count and reports throughput, completion latency, CPU time and memory per process.
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

const string ReadyPrefix = "LISTENING ";

if (args is ["--serve-runtime", var servePath])
{
    await ServeRuntimeAsync(servePath);
    return;
}

var count = ArgInt("--count", 1500);
var concurrency = ArgInt("--concurrency", 100);
var directory = Path.Combine(Path.GetTempPath(), "sb-wf-bench", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(directory);
var databasePath = Path.Combine(directory, "workflows.db");

using var runtime = StartRuntimeProcess(databasePath);
var port = await ReadPortAsync(runtime);

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
using var self = Process.GetCurrentProcess();

// Other work on the machine skews throughput; the load average and CPU time per workflow make runs comparable.
var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
Console.WriteLine($"Workflow backend benchmark: {Environment.ProcessorCount} cores (load average {load} at start), {count} workflows per scenario, {concurrency} in flight");
await RunAsync("warm-up", nameof(Chain5Workflow), 100, print: false);
await RunAsync("chain of 5 activities", nameof(Chain5Workflow), count, print: true);
await RunAsync("fan-out of 5 activities", nameof(FanOut5Workflow), count, print: true);

runtime.Refresh();
self.Refresh();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"peak working set: runtime {runtime.PeakWorkingSet64 / 1048576.0:F0} MiB, app {self.PeakWorkingSet64 / 1048576.0:F0} MiB; database {new FileInfo(databasePath).Length / 1048576.0:F1} MiB (+ WAL)"));

await app.StopAsync();
runtime.Kill(entireProcessTree: true);
await runtime.WaitForExitAsync();
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
    runtime.Refresh();
    self.Refresh();
    var runtimeCpu = runtime.TotalProcessorTime;
    var appCpu = self.TotalProcessorTime;
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

    runtime.Refresh();
    self.Refresh();
    var runtimeCpuPer = (runtime.TotalProcessorTime - runtimeCpu).TotalMilliseconds / total;
    var appCpuPer = (self.TotalProcessorTime - appCpu).TotalMilliseconds / total;
    Array.Sort(latencies);
    var seconds = stopwatch.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{label,-24} {total / seconds,7:F1} workflows/s {total * 5 / seconds,8:F1} activities/s  p50 {Percentile(latencies, 0.50),6:F1} ms  p99 {Percentile(latencies, 0.99),6:F1} ms  cpu/workflow runtime {runtimeCpuPer,4:F2} ms, app {appCpuPer,4:F2} ms  ({seconds:F1} s)"));
}

static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

int ArgInt(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}

static Process StartRuntimeProcess(string databasePath)
{
    // Under `dotnet run` this process is the apphost; under `dotnet Workflow.Bench.dll` it is dotnet itself.
    var host = Environment.ProcessPath ?? "dotnet";
    var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(host) == "dotnet")
    {
        info.ArgumentList.Add(typeof(Chain5Workflow).Assembly.Location);
    }

    info.ArgumentList.Add("--serve-runtime");
    info.ArgumentList.Add(databasePath);
    return Process.Start(info) ?? throw new InvalidOperationException("Could not start the runtime process.");
}

static async Task<int> ReadPortAsync(Process runtime)
{
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
    while (await runtime.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
    {
        if (line.StartsWith(ReadyPrefix, StringComparison.Ordinal))
        {
            return int.Parse(line[ReadyPrefix.Length..], CultureInfo.InvariantCulture);
        }
    }

    throw new InvalidOperationException("The runtime process exited before listening.");
}

static async Task ServeRuntimeAsync(string databasePath)
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
    builder.Services.AddWorkflowBackend(o =>
    {
        o.DatabasePath = databasePath;
        o.AppId = "bench";
    });
    await using var runtime = builder.Build();
    runtime.MapWorkflowBackend();
    await runtime.StartAsync();
    var address = runtime.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
    Console.WriteLine(ReadyPrefix + new Uri(address).Port.ToString(CultureInfo.InvariantCulture));
    await runtime.WaitForShutdownAsync();
}
