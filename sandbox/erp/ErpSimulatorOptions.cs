using Storebridge.Sandbox.Erp.Faults;
using Storebridge.Sandbox.Seed;

namespace Storebridge.Sandbox.Erp;

/// <summary>How an <see cref="ErpSimulator"/> starts. Binds from the <c>ErpSimulator</c> configuration section.</summary>
public sealed class ErpSimulatorOptions
{
    /// <summary>Seed of the shared sandbox data (<see cref="SandboxCatalog.Generate"/>).</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Size of the sandbox data.</summary>
    public SandboxSize Size { get; set; } = SandboxSize.Medium;

    /// <summary>Where to listen. Loopback only; port 0 picks a free port.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:0";

    /// <summary>API key of the integration user (read and write).</summary>
    public string ApiKey { get; set; } = "sandbox-api-key";

    /// <summary>API secret of the integration user.</summary>
    public string ApiSecret { get; set; } = "sandbox-api-secret";

    /// <summary>API key of a read-only user: its writes get 403 PermissionError.</summary>
    public string ReadOnlyApiKey { get; set; } = "sandbox-readonly-key";

    /// <summary>API secret of the read-only user.</summary>
    public string ReadOnlyApiSecret { get; set; } = "sandbox-readonly-secret";

    /// <summary>Largest accepted request body; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1_048_576;

    /// <summary>Faults active from the start.</summary>
    public ErpFaults Faults { get; set; } = new();

    /// <summary>Clock for document timestamps, outage windows and injected delays.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
