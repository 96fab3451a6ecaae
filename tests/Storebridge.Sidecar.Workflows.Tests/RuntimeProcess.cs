using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Storebridge.Sidecar.Workflows.Tests;

/// <summary>The workflow runtime in its own OS process, so a test can kill it the way kill -9 does.</summary>
internal sealed class RuntimeProcess : IDisposable
{
    private const string ReadyPrefix = "LISTENING ";
    private readonly Process _process;

    private RuntimeProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<RuntimeProcess> StartAsync(string databasePath, int port = 0)
    {
        var assembly = typeof(RuntimeProcess).Assembly.Location;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var info = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(assembly);
        info.ArgumentList.Add("--serve-runtime");
        info.ArgumentList.Add(databasePath);
        info.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the runtime process.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith(ReadyPrefix, StringComparison.Ordinal))
            {
                return new RuntimeProcess(process, int.Parse(line[ReadyPrefix.Length..], CultureInfo.InvariantCulture));
            }
        }

        throw new InvalidOperationException($"The runtime process exited with code {process.ExitCode} before listening.");
    }

    /// <summary>Ends the process at once (SIGKILL): no shutdown code runs.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    public static async Task ServeAsync(string databasePath, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddWorkflowBackend(o =>
        {
            o.DatabasePath = databasePath;
            o.AppId = "orders";
        });
        await using var app = builder.Build();
        app.MapWorkflowBackend();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await app.StartAsync();
                break;
            }
            catch (IOException) when (attempt < 50)
            {
                await Task.Delay(100);
            }
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Console.WriteLine(ReadyPrefix + new Uri(address).Port.ToString(CultureInfo.InvariantCulture));
        await app.WaitForShutdownAsync();
    }
}
