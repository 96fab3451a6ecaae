using Storebridge.Sidecar.Cli;

return await SidecarCli.RunAsync(args).ConfigureAwait(false);
