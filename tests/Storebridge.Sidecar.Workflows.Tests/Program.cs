namespace Storebridge.Sidecar.Workflows.Tests;

internal static class Program
{
    /// <summary>
    /// Runs the xunit console runner, or with <c>--serve-runtime &lt;db&gt; &lt;port&gt;</c> only the workflow runtime, as a
    /// separate process that a test can kill without warning.
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        if (args is ["--serve-runtime", var databasePath, var port])
        {
            await RuntimeProcess.ServeAsync(databasePath, int.Parse(port, System.Globalization.CultureInfo.InvariantCulture));
            return 0;
        }

        return await Xunit.Runner.InProc.SystemConsole.ConsoleRunner.Run(args);
    }
}
