namespace Wharf.Tests.Api;

/// <summary>One in-process registry per test class; each test works in repositories of its own.</summary>
public abstract class ApiTestBase : IClassFixture<WharfApiFactory>
{
    protected ApiTestBase(WharfApiFactory factory)
    {
        Factory = factory;
        Registry = new RegistryClient(factory.CreateClient());
    }

    protected WharfApiFactory Factory { get; }
    protected RegistryClient Registry { get; }
    protected HttpClient Http => Registry.Http;

    /// <summary>A repository name no other test uses.</summary>
    protected static string NewRepository(string prefix = "test") => $"{prefix}/r{Guid.NewGuid():N}";
}
